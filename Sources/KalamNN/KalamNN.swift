// The KalamNN module. Its types live in files named after them.

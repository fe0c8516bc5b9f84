// The KalamTraining module. Its types live in files named after them.

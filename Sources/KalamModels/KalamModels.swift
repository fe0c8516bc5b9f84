// The KalamModels module. Its types live in files named after them.

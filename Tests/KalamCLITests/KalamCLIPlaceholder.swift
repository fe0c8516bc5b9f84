// Tests for KalamCLI live in this folder, one file per type.

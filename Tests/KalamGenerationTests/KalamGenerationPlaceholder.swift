// Tests for KalamGeneration live in this folder, one file per type.

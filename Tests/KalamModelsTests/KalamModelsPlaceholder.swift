// Tests for KalamModels live in this folder, one file per type.

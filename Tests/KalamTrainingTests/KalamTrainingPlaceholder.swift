// Tests for KalamTraining live in this folder, one file per type.

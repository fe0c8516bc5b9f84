// Tests for KalamText live in this folder, one file per type.

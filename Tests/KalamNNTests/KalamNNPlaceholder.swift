// Tests for KalamNN live in this folder, one file per type.

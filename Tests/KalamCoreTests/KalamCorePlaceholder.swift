// Tests for KalamCore live in this folder, one file per type.

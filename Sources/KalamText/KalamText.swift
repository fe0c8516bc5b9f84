// The KalamText module: normalisers, tokenizers, the POS tagger and corpus readers.

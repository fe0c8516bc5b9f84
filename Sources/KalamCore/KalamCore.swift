// KalamCore: tensors, autodiff, the CPU backend, seeded RNG, safetensors.

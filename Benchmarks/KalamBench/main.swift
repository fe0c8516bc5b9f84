print("KalamBench: benchmarks are added per area; see Benchmarks/README.md")

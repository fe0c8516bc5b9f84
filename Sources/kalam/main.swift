import KalamCLI

KalamCommand.main()

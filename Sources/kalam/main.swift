import KalamCLI

KalamCommand.mainPrintingFileErrors()

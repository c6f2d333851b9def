from stratus_commander.cli import main

main()

from ccdash.cli import main

main()

from streamleap.cli import main

main()

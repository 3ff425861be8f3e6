from clients.cli.main import main

raise SystemExit(main())

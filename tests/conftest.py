pytest_plugins = ["tests.kit.postgres", "tests.kit.server"]

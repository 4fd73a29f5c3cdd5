from leadflow_system.demo import cli

cli()

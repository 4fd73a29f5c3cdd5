from ghl_simulator.cli import app

app()

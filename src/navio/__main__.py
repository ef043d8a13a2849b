from navio.cli import app

app(prog_name="navio")

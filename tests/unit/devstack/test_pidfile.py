"""A daemon's pidfile is read only once the pid is in it."""

from pathlib import Path

from devstack.procs import pid_written


def test_missing_or_empty_pidfile_is_not_a_pid(tmp_path: Path) -> None:
    pidfile = tmp_path / "redis.pid"
    assert pid_written(pidfile) is None
    pidfile.write_text("")  # redis-server creates it before it writes the pid
    assert pid_written(pidfile) is None
    pidfile.write_text("2274\n")
    assert pid_written(pidfile) == 2274

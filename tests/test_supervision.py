"""The launcher's supervision of one process (`server.launcher.Supervised`): a
process that keeps exiting is started again after 1 s, 2, 4… up to 30 s; one
that ran for a minute is started again after 1 s. Real processes, a fake clock."""
import subprocess
import sys

from server import launcher
from server.launcher import Supervised


def test_a_process_that_keeps_exiting_waits_longer_each_time_and_a_steady_one_does_not(monkeypatch, capsys):
    clock = [1000.0]
    monkeypatch.setattr(launcher.time, "monotonic", lambda: clock[0])
    child = Supervised("flaky", lambda: subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"]))
    child.start()

    def exit_and_restart(ran: float) -> float:
        """Let the process exit after `ran` seconds; the wait before it is started again."""
        clock[0] += ran
        pid = child.process.pid
        child.process.wait()
        child.check()
        assert child.process is None
        wait = child.restart_at - clock[0]
        clock[0] = child.restart_at - 0.01
        child.check()
        assert child.process is None, "started before its wait was over"
        clock[0] = child.restart_at
        child.check()
        assert child.process is not None and child.process.pid != pid
        return wait

    assert [exit_and_restart(ran=0.5) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert exit_and_restart(ran=launcher.STEADY_AFTER) == 1
    assert exit_and_restart(ran=0.5) == 2
    child.process.wait()
    log = capsys.readouterr().err
    assert "flaky (pid " in log and "exited with code 3 after 0 s; restarting it in 30 s." in log
    assert log.count("Restarted flaky (pid ") == 9

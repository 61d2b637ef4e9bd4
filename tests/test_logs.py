import subprocess
import sys


def test_uncaught_exception_reaches_the_log_file(tmp_path):
    log = tmp_path / "rule.log"
    code = ("from seatlib.logs import setup_logging\n"
            f"setup_logging({str(log)!r}).info('started')\n"
            "raise ValueError('config.yaml: key x: bad value')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1
    text = log.read_text()
    assert "started" in text
    assert "ValueError: config.yaml: key x: bad value" in text
    assert "Traceback" in text

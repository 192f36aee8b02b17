"""Ctrl-C while mailer is still starting (importing its modules) is said in words."""

import subprocess
import sys
import textwrap

# A real Python process whose import of mailer.cli is interrupted as a Ctrl-C would:
# a meta path finder raises KeyboardInterrupt when mailer.cli is imported.
INTERRUPTED_IMPORT = textwrap.dedent(
    """
    import sys

    class CtrlC:
        def find_spec(self, name, path=None, target=None):
            if name == "mailer.cli":
                raise KeyboardInterrupt
            return None

    sys.meta_path.insert(0, CtrlC())
    sys.argv = ["mailer", "send", "online-safety-webcams"]
    from mailer.entry import main
    main()
    """
)


def test_ctrl_c_while_starting_says_nothing_was_sent_without_a_traceback():
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_IMPORT],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 130
    assert "Traceback" not in done.stderr
    assert "KeyboardInterrupt" not in done.stderr
    assert "Nothing was read and nothing was sent." in done.stderr


def test_the_console_script_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "mailer", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "send" in done.stdout

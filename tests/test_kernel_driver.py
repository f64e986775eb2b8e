"""The kernel driver's guard against a missed wake-up (tools/kernel.py, ``sliced``).

pyzmq's asyncio poll can miss the wake-up for a message that has already arrived; it then returns
the message only when its timeout runs out (zeromq/pyzmq#1558). nbclient waits for a cell's reply
with one poll of the whole cell timeout, so in `make test` a finished widget cell came back
exactly 300.0 s late, without an error. The fake channel below behaves like that socket: its
message is there, but a poll reports it only at the poll's timeout (or at once for timeout 0).
"""

import asyncio
import sys
import time
from pathlib import Path
from queue import Empty

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.kernel import Client, NotebookKernel, sliced  # noqa: E402


def missed_wakeup_channel(message, arrives_after=0.0):
    """get_msg(timeout) of a socket whose wake-up is lost: the message (once it has arrived,
    arrives_after [s] from now) is seen only when a poll times out; None: never arrives."""
    t_arrival = None if message is None else time.monotonic() + arrives_after

    async def get_msg(timeout=None):
        if timeout is None:
            raise AssertionError("a poll without a timeout would sleep for ever here")
        await asyncio.sleep(timeout)
        if t_arrival is not None and time.monotonic() >= t_arrival:
            return message
        raise Empty
    return get_msg


def run(coroutine):
    t0 = time.monotonic()
    try:
        return asyncio.run(coroutine), time.monotonic() - t0
    except Empty:
        return Empty, time.monotonic() - t0


def test_a_message_whose_wakeup_was_missed_costs_one_slice_not_the_timeout():
    # 20 s of cell timeout: unsliced, the poll would return after 20 s; sliced (0.2 s), after one
    # slice. Bound: 5 slices, generous for a loaded machine and far below 20 s.
    message, seconds = run(sliced(missed_wakeup_channel("reply"), slice_s=0.2)(timeout=20.0))
    assert message == "reply" and seconds < 1.0, seconds


def test_no_timeout_still_waits_until_the_message_comes():
    message, seconds = run(sliced(missed_wakeup_channel("reply", arrives_after=0.5), slice_s=0.2)())
    assert message == "reply" and 0.5 <= seconds < 1.5, seconds


@pytest.mark.parametrize("timeout", [0.0, 0.5, 0.9])
def test_the_deadline_is_kept_when_nothing_comes(timeout):
    # Empty once the timeout has passed (not later than one more slice, not earlier)
    result, seconds = run(sliced(missed_wakeup_channel(None), slice_s=0.2)(timeout=timeout))
    assert result is Empty and timeout <= seconds < timeout + 0.5, seconds


def test_the_notebook_kernel_polls_both_channels_in_slices():
    kernel = NotebookKernel("point-neurons/01_integrate_and_fire.ipynb", execute=False)
    try:
        assert isinstance(kernel.client, Client)
        for channel in (kernel.client.kc.shell_channel, kernel.client.kc.iopub_channel):
            assert channel.get_msg.__name__ == "get_msg_sliced"
        assert kernel.eval("6 * 7") == 42
    finally:
        kernel.shutdown()

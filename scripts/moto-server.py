"""moto's server, with speed fixes for queues that hold thousands of messages.

moto answers SQS calls by walking the queue's messages, asking each one whether it is
visible or delayed through a slow clock (a datetime subtraction per question), and
rebuilds the queue's whole attribute map, message counts included, to validate each
message sent. A campaign puts tens of thousands of messages on one FIFO queue, and a send
then costs tens of milliseconds. The fixes keep what moto answers and make those steps
cheap:

- a message's `visible` and `delayed` compare with `time.time()` in milliseconds, the
  clock moto's own timestamps are on;
- the queue's message list and counts read that clock once per walk, not per message;
- validating a message reads the one flag it needs, not every attribute.

Each fix is applied only where moto still has the shape it was written for; otherwise
the server starts unchanged and says which fix it left out.

    scripts/moto-server.py -H 127.0.0.1 -p 4566
"""

import sys
import time

from moto.server import main
from moto.sqs import models


def millis() -> float:
    return time.time() * 1000.0


def is_property(cls, *names) -> bool:
    return cls is not None and all(isinstance(getattr(cls, n, None), property) for n in names)


def fast_visibility() -> bool:
    message = getattr(models, "Message", None)
    if not is_property(message, "visible", "delayed"):
        return False
    message.visible = property(lambda m: millis() > m.visible_at)
    message.delayed = property(lambda m: millis() < m.delayed_until)
    return True


def one_clock_read_per_walk() -> bool:
    queue = getattr(models, "Queue", None)
    names = ("messages", "approximate_number_of_messages_delayed", "approximate_number_of_messages_not_visible")
    if not is_property(queue, *names):
        return False

    def visible(q):
        now = millis()
        return [m for m in q._messages if now > m.visible_at and not now < m.delayed_until]

    def delayed(q):
        now = millis()
        return sum(1 for m in q._messages if now < m.delayed_until)

    def not_visible(q):
        now = millis()
        return sum(1 for m in q._messages if not now > m.visible_at)

    queue.messages = property(visible)
    queue.approximate_number_of_messages_delayed = property(delayed)
    queue.approximate_number_of_messages_not_visible = property(not_visible)
    return True


class QueueFlags:
    """A queue as the validation sees it: its own attributes, and an attribute map that
    holds only the deduplication flag (the one entry the validation reads)."""

    def __init__(self, queue):
        self._queue = queue

    @property
    def attributes(self):
        flag = getattr(self._queue, "content_based_deduplication", None)
        if flag is None:
            return self._queue.attributes
        return {"ContentBasedDeduplication": str(flag).lower()}

    def __getattr__(self, name):
        return getattr(self._queue, name)


def cheap_validation() -> bool:
    backend = getattr(models, "SQSBackend", None)
    original = getattr(backend, "_validate_message", None)
    if original is None:
        return False

    def validate(self, queue, *args, **kwargs):
        return original(self, QueueFlags(queue), *args, **kwargs)

    backend._validate_message = validate
    return True


FIXES = (
    ("message visibility", fast_visibility),
    ("queue walks", one_clock_read_per_walk),
    ("message validation", cheap_validation),
)

if __name__ == "__main__":
    for name, fix in FIXES:
        if not fix():
            print(f"moto-server: moto's {name} is not as expected; left as it is", file=sys.stderr)
    sys.exit(main(sys.argv[1:]))

"""moto's server, with speed fixes for queues that hold thousands of messages.

moto answers SQS calls by walking the queue's messages, asking each one whether it is
visible or delayed through a slow clock (a datetime subtraction per question), and
rebuilds the queue's whole attribute map, message counts included, to validate each
message sent. A campaign puts tens of thousands of messages on one FIFO queue, and a send
then costs tens of milliseconds. The fixes keep what moto answers and make those steps
cheap:

- a message's `visible` and `delayed` compare with `time.time()` in milliseconds, the
  clock moto's own timestamps are on;
- the queue's message list and counts read that clock once per walk, not per message, and
  a receive walks only as far as the messages it takes;
- sending and receiving, which consult the queue's attribute map for a flag or two, no
  longer count the queue's messages three times over to build it;
- validating a message reads the one flag it needs, not every attribute;
- deleting a message finds it by its receipt handle in an index, instead of asking every
  message of the queue, twice, whether it ever had that handle.

Each fix is applied only where moto still has the shape it was written for; otherwise
the server starts unchanged and says which fix it left out.

    scripts/moto-server.py -H 127.0.0.1 -p 4566
"""

import sys
import threading
import time
import weakref

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


class Visible:
    """A queue's receivable messages, found as they are asked for: a receive that wants ten
    stops after ten instead of listing the whole queue first."""

    def __init__(self, q):
        self._messages, self._now = q._messages, millis()

    def __iter__(self):
        now = self._now
        return (m for m in self._messages if now > m.visible_at and not now < m.delayed_until)

    def __len__(self):
        return sum(1 for _ in self)

    def __bool__(self):
        return any(True for _ in self)


# Set while moto sends or receives: its own look at the queue's attribute map there reads
# only flags, never the message counts, so those walks are skipped.
INSIDE = threading.local()


def one_clock_read_per_walk() -> bool:
    queue = getattr(models, "Queue", None)
    names = ("messages", "approximate_number_of_messages_delayed", "approximate_number_of_messages_not_visible")
    if not is_property(queue, *names):
        return False

    def delayed(q):
        if getattr(INSIDE, "busy", False):
            return 0
        now = millis()
        return sum(1 for m in q._messages if now < m.delayed_until)

    def not_visible(q):
        if getattr(INSIDE, "busy", False):
            return 0
        now = millis()
        return sum(1 for m in q._messages if not now > m.visible_at)

    queue.messages = property(Visible)
    queue.approximate_number_of_messages_delayed = property(delayed)
    queue.approximate_number_of_messages_not_visible = property(not_visible)
    return True


def counts_skipped_inside() -> bool:
    backend, queue = getattr(models, "SQSBackend", None), getattr(models, "Queue", None)
    methods = ("send_message", "receive_message")
    if not all(callable(getattr(backend, m, None)) for m in methods) or not is_property(
        queue, "approximate_number_of_messages"
    ):
        return False

    def inside(method):
        def call(*args, **kwargs):
            before = getattr(INSIDE, "busy", False)
            INSIDE.busy = True
            try:
                return method(*args, **kwargs)
            finally:
                INSIDE.busy = before

        return call

    for m in methods:
        setattr(backend, m, inside(getattr(backend, m)))
    queue.approximate_number_of_messages = property(
        lambda q: 0 if getattr(INSIDE, "busy", False) else len(q.messages)
    )
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


# Every receipt handle moto has issued, to the message it was issued for (a message leaves
# the index when moto lets go of it).
RECEIPTS: "weakref.WeakValueDictionary[str, object]" = weakref.WeakValueDictionary()


def indexed_receipts() -> bool:
    message, queue = getattr(models, "Message", None), getattr(models, "Queue", None)
    mark_received = getattr(message, "mark_received", None)
    if mark_received is None or not callable(getattr(queue, "delete_message", None)):
        return False

    def mark(m, *args, **kwargs):
        mark_received(m, *args, **kwargs)
        RECEIPTS[m.receipt_handle] = m

    def delete(q, receipt_handle):
        # As moto's own: a repeated delete is fine, an unknown handle is refused, and the
        # message goes whether or not it is in flight.
        if receipt_handle in q.deleted_messages:
            return
        m = RECEIPTS.get(receipt_handle)
        if m is None or m not in q._messages:
            raise models.ReceiptHandleIsInvalid()
        q._messages = [other for other in q._messages if other is not m]
        q.pending_messages.discard(m)
        q.deleted_messages.update(m.all_receipt_handles)

    message.mark_received = mark
    queue.delete_message = delete
    return True


FIXES = (
    ("message visibility", fast_visibility),
    ("queue walks", one_clock_read_per_walk),
    ("message validation", cheap_validation),
    ("message deletion", indexed_receipts),
    ("attribute counts inside sends and receives", counts_skipped_inside),
)

if __name__ == "__main__":
    for name, fix in FIXES:
        if not fix():
            print(f"moto-server: moto's {name} is not as expected; left as it is", file=sys.stderr)
    sys.exit(main(sys.argv[1:]))

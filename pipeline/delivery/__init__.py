"""Delivery guarantees on top of Faust: nothing lost, nothing stuck.

ledger.py     our offset bookkeeping: done / cursor per partition, gaps learned from
              the fetch stream, seeks wanted and throttled; the commit point (pure)
breaks.py     the offsets a fetch response's batches skip without accounting for them
              (the embedded broker's late batches): never taken for gaps
consumer.py   the Faust consumer subclass that commits what the ledger says and seeks
              at a safe point (pinned to faust-streaming 0.15.3 / aiokafka 0.14)
hop.py        an agent's loop: take a batch (in offset order), run the stage,
              publish, then done; failures retried, then the worker stops
publish.py    acks=all publishing; a refused record becomes a small dead letter;
              a broker away beyond the budget stops the worker
failures.py   retriable / one record / fatal
lifecycle.py  stopping a worker on purpose, promptly, with an exit code
"""

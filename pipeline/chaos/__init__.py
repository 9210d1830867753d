"""The chaos harness: proof that nothing is lost and nothing gets stuck while workers fail.

``wirefeed chaos`` (``pipeline.chaos.run``) starts the embedded broker (or uses
``WIREFEED_BROKER``), a fresh app id and topic prefix, K real ``wirefeed worker``
processes, ingests thousands of generated dispatches (``feeds``: every wire format we
read, versions of the same story, poison records, a few over the size limit), applies
faults in rotation once the run is under way (``fleet``: SIGKILL, SIGTERM, SIGSTOP past
the session timeout, scale out and in), and then checks the outcome topics with its own
consumer, read from the beginning (``verify``): every input has its outcome, nothing
unexpected, duplicates are twins (same event id), the versions of a story come out in
order, and ``wirefeed audit`` agrees.

The harness only uses what a user has: the ``wirefeed`` commands, the topics and the
worker logs. It never imports the agents, so it judges the worker from the outside.
"""

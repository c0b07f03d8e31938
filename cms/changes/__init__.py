"""The change log: one ordered log of every committed change to articles and tags.

Every write appends its entries in its own transaction (:mod:`.record`); the scheduler
(:mod:`cms.write.schedule`) appends the entry of a scheduled publication when its time comes.
Readers see the log as they see content (:mod:`.log`): the sync API, live subscriptions,
webhooks and the response cache all read it from there. :mod:`.keys` names the Cache-Tag
keys that responses carry and entries purge.
"""

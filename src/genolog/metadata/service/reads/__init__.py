"""The batched reads: for a whole group of parent rows, one statement per relation ("the samples of these
participants, with these filters, this page"), rows as dicts, only from the projects the caller may read.

The GraphQL API builds its nodes from these rows (its resolvers never touch SQL). ``rows`` holds how rows
are fetched and the readable-projects rule; ``paging`` the pages, ``filters`` the filter operators as
SQL; each other module holds one entity's relations. A group of parents is named by an ``IdSource``
(opaque to the front ends: the ``ids`` of the ``Rows`` that found them, or a list of ids).
"""

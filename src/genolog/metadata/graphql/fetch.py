"""The service layer's batched reads under their old names, for the modules that still build SQL
conditions themselves: the mutations' answers (``mutations.py``) and ``web.grid``. The GraphQL read
resolvers call ``genolog.metadata.service.reads`` directly; this module goes when those two move onto it.
"""

from genolog.metadata.service.reads.analyses import analyses as analyses
from genolog.metadata.service.reads.participants import families as families
from genolog.metadata.service.reads.participants import participants as participants
from genolog.metadata.service.reads.rows import matching_external_ids as matching_external_ids
from genolog.metadata.service.reads.samples import assays as assays
from genolog.metadata.service.reads.samples import samples as samples
from genolog.metadata.service.reads.sequencing_groups import sequencing_groups as sequencing_groups

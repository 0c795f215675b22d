"""DNS for SPF, DKIM and DMARC: values (outcome, records, mail domains, server addresses) and the look-ups that do
I/O (resolver, per-scan caching with snapshot record/replay). Import from the module that defines a name, so that
importing a value never loads the resolver.
"""

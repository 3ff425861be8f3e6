"""Strategies (SPEC §7): definitions as data, the rule engine, the built-ins, the scheduler and the host that plugs
them into the kernel's strategy stage. Pure and synchronous: no I/O, time only from the kernel."""

"""The `batchproc` command line: a thin face on the Client, the registry and the runner.

    main.py      the subcommands (run, ops, demo) and the one place exceptions become exit codes
    args.py      the argument parser, `--op` grouping, and value types (sizes, seconds)
    steps.py     `--op METHOD key=value ...` and `--pipeline FILE` into an operations list
    inputs.py    files, folders and globs from the command line, enumerated lazily
    report.py    the per-file report (JSON or CSV), written as files finish
    progress.py  the progress bar on stderr and the closing summary
    ops.py       `batchproc ops`: the registry as text
    demo.py      `batchproc demo`: sample documents through a realistic pipeline
"""

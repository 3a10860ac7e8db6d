import os

# Tesseract's OpenMP thrashes on 2 vCPUs (../shared/ENGINE-NOTES.md); batchproc sets this
# for its own workers too, but tests that call tesseract directly need it as well.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

# The DWS test server's fixtures (dws_server, ...), for every test module that asks for them.
pytest_plugins = ["tests.dws_server.fixtures"]

# Runs in a kernel before a notebook is executed for committing (tools/execute_notebooks.py),
# and is not stored in the notebook. ipywidgets names every widget model by a random UUID,
# and nbclient stores those ids in the notebook's widget state, so every re-execution would
# change every notebook's diff. Drawing the ids from a seeded generator makes a re-execution
# reproduce the committed file byte for byte when nothing real changed.
import random as _nb_random
import uuid as _nb_uuid

_nb_uuid_source = _nb_random.Random(20261201)


def _nb_seeded_uuid4():
    return _nb_uuid.UUID(int=_nb_uuid_source.getrandbits(128), version=4)


_nb_uuid.uuid4 = _nb_seeded_uuid4

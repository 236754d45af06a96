"""examples/taxi.ipynb runs headless (nbclient + ipykernel, Debian's
python3-nbclient and python3-ipykernel) on generated FHVHV files, and
every cell succeeds; its answers match pandas'."""
import os

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from conftest import SCALE

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                        "taxi.ipynb")


def test_taxi_notebook_runs(data_dir, monkeypatch):
    import pandas as pd
    monkeypatch.setenv("DUSK_TAXI_DIR", str(data_dir))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # One more cell: the notebook's own answer next to pandas'.
    nb.cells.insert(-1, nbformat.v4.new_code_cell(
        "import pandas as pd, pandas.testing as pdt\n"
        "p = pd.read_csv(os.path.join(data, 'fhvhv_apr.csv')).fillna(value=0)\n"
        "pdt.assert_frame_equal(counts, p.groupby('PULocationID').count())\n"
        "print('matches pandas')"))
    client = nbclient.NotebookClient(nb, timeout=120 * SCALE,
                                     kernel_name="python3",
                                     resources={"metadata": {"path": str(data_dir)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    # %%time prints an exception's traceback and lets the cell succeed:
    # such a cell failed all the same.
    errors = [o.text for o in outputs if o.output_type == "stream" and
              o.name == "stderr" and ("Traceback" in o.text or
                                      "Error" in o.text)]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in outputs
                   if o.output_type == "stream")
    assert "matches pandas" in text
    assert "Wall time" in text  # %time ran in every timed cell
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs
                   if o.output_type in ("execute_result", "display_data"))
    assert "dusk.Client" in html and "Dusk DataFrame Structure" in html

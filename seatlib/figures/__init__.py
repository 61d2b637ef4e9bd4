"""One module per figure; each draws from stored Parquet data only."""

import matplotlib

matplotlib.use("Agg")

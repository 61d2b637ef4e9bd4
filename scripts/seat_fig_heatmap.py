"""Figure: Figure-1 style attention heatmaps, clean vs word-substituted sentence, per method."""

from seatlib.figures.seat_heatmap import plot_heatmap
from seatlib.logs import setup_logging
from seatlib.schema import read_table

sm = snakemake  # noqa: F821
setup_logging(sm.log[0])
plot_heatmap(read_table(sm.input.test, "split"),
             read_table(sm.input.substitutions, "seat_substitutions"),
             [read_table(p, "seat_instances") for p in sm.input.instances],
             sm.output.pdf, sm.output.png, example_id=sm.params.example)

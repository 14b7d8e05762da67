"""NTM Explorer's model package: pure PyTorch and NumPy, no Streamlit or Plotly."""
from model.checkpoints import CheckpointError, load_pretrained
from model.lstm import LSTMBaseline, LSTMConfig
from model.ntm import NTM, NTMConfig, Run, State
from model.tasks import TaskInputError
from model.trace import Trace

__all__ = [
    "CheckpointError", "load_pretrained", "LSTMBaseline", "LSTMConfig", "NTM", "NTMConfig",
    "Run", "State", "TaskInputError", "Trace",
]

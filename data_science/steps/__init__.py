"""The training pipeline's step scripts: plain functions, each with the `__main__` entry point SageMaker's
scikit-learn container runs (`python3 -m data_science.steps.<step>`). `modelops train` runs the same
functions locally (data_science/local_run.py)."""

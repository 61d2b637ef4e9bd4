"""Planted-evidence ground truth (docs/ground_truth.md): a task whose deciding tokens are known,
and every explainer of the project scored against them.

``generator`` builds the task from real sentences, ``metrics`` scores one explainer's token
scores against the planted positions (and ERASER's comprehensiveness / sufficiency),
``evaluate`` runs a trained model and its explainers, ``aggregate`` pools seeds with bootstrap
intervals and ranks the explainers.
"""

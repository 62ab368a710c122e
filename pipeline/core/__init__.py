"""The document model and the stage protocols every part of the pipeline is built on."""

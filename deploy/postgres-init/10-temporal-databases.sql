-- auto-setup creates and migrates these itself when missing; created here so the hone role owns them.
CREATE DATABASE temporal OWNER hone;
CREATE DATABASE temporal_visibility OWNER hone;

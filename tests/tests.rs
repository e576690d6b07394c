mod llm;
mod llm_server;

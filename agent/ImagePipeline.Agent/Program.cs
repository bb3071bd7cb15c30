return await ImagePipeline.Agent.AgentProgram.RunAsync(args);

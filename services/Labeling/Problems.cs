namespace ActiveLabel.Labeling;

/// <summary>Problem responses shared by the Labeling endpoints.</summary>
internal static class Problems
{
    /// <summary>Also the answer for non-members, who must learn nothing about the project.</summary>
    public static IResult ProjectNotFound(Guid projectId) =>
        Results.Problem($"No project {projectId}, or you are not a member of it.", statusCode: StatusCodes.Status404NotFound);
}

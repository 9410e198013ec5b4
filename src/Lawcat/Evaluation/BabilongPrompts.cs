namespace Lawcat.Evaluation;

/// <summary>
/// BABILong's default prompts for qa2 and qa3 (<c>babilong/prompts.py</c>), verbatim: including the missing space in
/// qa2's "question.You" and the U+2019 quotes of qa2's post-prompt.
/// </summary>
public static class BabilongPrompts
{
    /// <summary>Instruction, examples and post-prompt of one task.</summary>
    public sealed record TaskPrompt(string Instruction, string Examples, string PostPrompt);

    /// <summary>qa2's prompt parts.</summary>
    public static TaskPrompt Qa2 { get; } = new(
        "I give you context with the facts about locations and actions of different persons hidden in some random text and a question.You need to answer the question based only on the information from the facts.\nIf a person got an item in the first location and travelled to the second location the item is also in the second location. If a person dropped an item in the first location and moved to the second location the item remains in the first location.",
        "<example>\nCharlie went to the kitchen. Charlie got a bottle. Charlie moved to the balcony. Where is the bottle?\nAnswer: The bottle is in the balcony.\n</example>\n<example>\nAlan moved to the garage. Alan got a screw driver. Alan moved to the kitchen. Where is the screw driver?\nAnswer: The screw driver is in the kitchen.\n</example>",
        "Always return your answer in the following format: The \u2019item\u2019 is in \u2019location\u2019. Do not write anything else after that.");

    /// <summary>qa3's prompt parts.</summary>
    public static TaskPrompt Qa3 { get; } = new(
        "I give you context with the facts about locations and actions of different persons hidden in some random text and a question. You need to answer the question based only on the information from the facts.\nIf a person got an item in the first location and travelled to the second location the item is also in the second location. If a person dropped an item in the first location and moved to the second location the item remains in the first location.",
        "<example>\nJohn journeyed to the bedroom. Mary grabbed the apple. Mary went back to the bathroom. Daniel journeyed to the bedroom. Daniel moved to the garden. Mary travelled to the kitchen. Where was the apple before the kitchen?\nAnswer: Before the kitchen the apple was in the bathroom.\n</example>\n<example>\nJohn went back to the bedroom. John went back to the garden. John went back to the kitchen. Sandra took the football. Sandra travelled to the garden. Sandra journeyed to the bedroom. Where was the football before the bedroom?\nAnswer: Before the bedroom the football was in the garden.\n</example>",
        "Always return your answer in the following format: Before the $location_1$ the $item$ was in the $location_2$. Do not write anything else after that.");

    /// <summary>The prompt parts of <paramref name="task"/>.</summary>
    public static TaskPrompt For(BabiTask task) => task == BabiTask.Qa2 ? Qa2 : Qa3;

    /// <summary>
    /// BABILong's <c>get_formatted_input</c> with its DEFAULT_TEMPLATE:
    /// "{instruction}\n\n{examples}\n\n{post_prompt}\n\n&lt;context&gt;\n{context}\n&lt;/context&gt;\n\nQuestion: {question}",
    /// with the context stripped and the whole stripped (which drops the question's trailing space).
    /// </summary>
    public static string Format(TaskPrompt prompt, string context, string question) =>
        $"{prompt.Instruction}\n\n{prompt.Examples}\n\n{prompt.PostPrompt}\n\n<context>\n{context.Trim()}\n</context>\n\nQuestion: {question}".Trim();
}

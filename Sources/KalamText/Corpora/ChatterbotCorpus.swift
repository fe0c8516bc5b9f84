import Foundation

/// One chatterbot topic file: its categories and its conversations (each a list of turns).
public struct ChatterbotTopic: Sendable, Equatable, Hashable {
    /// The language folder, e.g. `english`, `persian`.
    public var language: String
    /// The file name without `.yml`, e.g. `ai`, `greetings`.
    public var topic: String
    /// The `categories` list.
    public var categories: [String]
    /// The `conversations` list: each conversation is its turns in order.
    public var conversations: [[String]]

    /// A topic.
    public init(language: String, topic: String, categories: [String], conversations: [[String]]) {
        self.language = language
        self.topic = topic
        self.categories = categories
        self.conversations = conversations
    }
}

/// The chatterbot corpus from PyPI `chatterbot-corpus` (`chatterbot_corpus/data/<language>/<topic>.yml`):
/// 21 English topics (2,026 conversations) and 17 Persian topics (773 conversations), read with
/// ``YAMLSubsetParser``.
public enum ChatterbotCorpus {
    /// The corpus name used by `kalam data install`.
    public static let name = "chatterbot"

    /// The data folder inside the installed `chatterbot-corpus` package.
    public static var defaultDirectory: URL {
        KalamData.pypi("chatterbot-corpus").appendingPathComponent("chatterbot_corpus/data", isDirectory: true)
    }

    /// Reads every topic of one language (`english`, `persian`, …), sorted by file name.
    public static func load(language: String, directory: URL = defaultDirectory) throws -> [ChatterbotTopic] {
        try CorpusFile.requireInstalled(directory, corpus: name)
        let folder = directory.appendingPathComponent(language, isDirectory: true)
        let files = try CorpusFile.files(under: folder).filter {
            $0.pathExtension == "yml" || $0.pathExtension == "yaml"
        }
        let topics = try files.map {
            try parse(
                CorpusFile.text($0), language: language, topic: $0.deletingPathExtension().lastPathComponent,
                path: $0.path)
        }
        guard topics.contains(where: { !$0.conversations.isEmpty }) else { throw CorpusError.empty(path: folder.path) }
        return topics
    }

    /// One document per conversation, turns joined by newlines (id `english/ai#3`, label = topic).
    public static func documents(language: String, directory: URL = defaultDirectory) throws -> [TextDocument] {
        try load(language: language, directory: directory).flatMap { topic in
            topic.conversations.enumerated().map {
                TextDocument(
                    id: "\(language)/\(topic.topic)#\($0.offset)", text: $0.element.joined(separator: "\n"),
                    label: topic.topic)
            }
        }
    }

    /// Parses one topic file: a mapping with `categories` (a list of strings) and `conversations`
    /// (a list of lists of strings; a conversation written as a bare string becomes one turn); either
    /// may be absent.
    public static func parse(_ text: String, language: String, topic: String, path: String) throws -> ChatterbotTopic {
        let root = try YAMLSubsetParser.parse(text, path: path)
        guard case .mapping = root else {
            throw CorpusError.malformed(
                path: path, line: 1, reason: "expected a mapping with categories and conversations")
        }
        var categories: [String] = []
        switch root["categories"] {
        case .sequence(let items)?:
            categories = try items.map { try string($0, path: path, what: "a category") }
        case .scalar("")?, nil: break
        default: throw CorpusError.malformed(path: path, line: 1, reason: "categories is not a list")
        }
        var conversations: [[String]] = []
        switch root["conversations"] {
        case .sequence(let items)?:
            conversations = try items.enumerated().map { index, item in
                switch item {
                case .sequence(let turns):
                    return try turns.map { try string($0, path: path, what: "a turn of conversation \(index + 1)") }
                case .scalar(let single):
                    // A missing inner `- ` (english/trivia.yml has one) leaves a string: keep it as one turn.
                    return [single]
                case .mapping:
                    throw CorpusError.malformed(
                        path: path, line: 1, reason: "conversation \(index + 1) is not a list of turns: \(item)")
                }
            }
        case .scalar("")?, nil: break
        default: throw CorpusError.malformed(path: path, line: 1, reason: "conversations is not a list")
        }
        return ChatterbotTopic(language: language, topic: topic, categories: categories, conversations: conversations)
    }

    private static func string(_ node: YAMLNode, path: String, what: String) throws -> String {
        guard case .scalar(let s) = node else {
            throw CorpusError.malformed(path: path, line: 1, reason: "\(what) is not a string: \(node)")
        }
        return s
    }
}

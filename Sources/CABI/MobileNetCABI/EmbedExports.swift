import CMobileNetHeader
import MobileNet

@_cdecl("mobilenet_model_embedding_size")
public func mobilenet_model_embedding_size(_ model: OpaquePointer?) -> Int32 {
    guard let model else { return 0 }
    return Int32(ModelHandle.from(model).model.embeddingSize)
}

@_cdecl("mobilenet_model_embed")
public func mobilenet_model_embed(_ model: OpaquePointer?, _ input: UnsafePointer<Float>?, _ batch: Int32,
                                  _ height: Int32, _ width: Int32, _ embeddings: UnsafeMutablePointer<Float>?,
                                  _ capacity: Int) -> mobilenet_status {
    guarded("mobilenet_model_embed") {
        let handle = try handle(model)
        guard let input else { throw invalidArgument("input is NULL") }
        guard let embeddings else { throw invalidArgument("embeddings is NULL") }
        // size_t arrives as Int: a capacity above Int.max reads as negative.
        try handle.model.embed(input: input, batch: Int(batch), height: Int(height), width: Int(width),
                               embeddings: embeddings, capacity: capacity < 0 ? Int.max : capacity)
    }
}

@_cdecl("mobilenet_model_embed_rgb8")
public func mobilenet_model_embed_rgb8(_ model: OpaquePointer?, _ rgb: UnsafePointer<UInt8>?, _ width: Int32,
                                       _ height: Int32, _ rowStride: Int, _ embedding: UnsafeMutablePointer<Float>?,
                                       _ capacity: Int) -> mobilenet_status {
    guarded("mobilenet_model_embed_rgb8") {
        let handle = try handle(model)
        guard let rgb else { throw invalidArgument("rgb is NULL") }
        guard let embedding else { throw invalidArgument("embedding is NULL") }
        guard rowStride >= 0 else { throw invalidArgument("row_stride is too large") }
        try handle.model.embed(rgb: rgb, width: Int(width), height: Int(height), rowStride: rowStride,
                               embedding: embedding, capacity: capacity < 0 ? Int.max : capacity)
    }
}

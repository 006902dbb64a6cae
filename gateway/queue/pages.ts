/**
 * Where a queue keeps its payloads: their UTF-8 bytes one after another in pages of
 * PAGE_BYTES, outside the JavaScript heap. Payloads leave in the order they came, so a
 * page is let go once the oldest payload still kept lies in a later one.
 *
 * Why not the strings themselves: a queued payload outlives the young generation (it
 * waits for the broker), so each one — and the whole serial read it was cut from — is
 * promoted, traced and later compacted by the garbage collector; a burst of tens of
 * thousands of lines made that the largest part of the gateway's peak memory.
 */

/** ~130 lines of 60 bytes: few pages for a burst, little kept by a quiet device (a page and a spare). */
const PAGE_BYTES = 8 * 1024

/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_PER_UNIT = 3

export class PayloadPages {
    private readonly pages: Buffer[] = []
    /** The number of pages[0]: pages are numbered from 0 in the order they are started. */
    private firstNo = 0
    /** Bytes used in the last page. */
    private used = 0
    /**
     * Pages let go, kept for the next ones to start: a page given up under a burst has
     * outlived the young generation, and its memory would come back only at the next full
     * collection. Given up in `trim` when not needed since the last one.
     */
    private readonly spares: Buffer[] = []
    /** The most pages in use at once since the last trim. */
    private pagesNeeded = 0
    /** Where the last `append` put its payload: page number and offset. */
    lastPage = 0
    lastOffset = 0

    /** Writes `text` after the last payload; returns its length in bytes (see lastPage, lastOffset). */
    append(text: string): number {
        let page = this.pages[this.pages.length - 1]
        const room = page === undefined ? 0 : page.length - this.used
        let length: number
        if (page !== undefined && text.length * MAX_UTF8_PER_UNIT <= room) {
            length = page.write(text, this.used) // fits whatever its characters: no count first
        } else {
            length = Buffer.byteLength(text)
            if (page === undefined || length > room) page = this.startPage(length)
            page.write(text, this.used)
        }
        this.lastPage = this.firstNo + this.pages.length - 1
        this.lastOffset = this.used
        this.used += length
        return length
    }

    /** Page `pageNo`, while a payload in it is kept. */
    page(pageNo: number): Buffer {
        return this.pages[pageNo - this.firstNo]
    }

    /** Every payload before page `pageNo` is gone. */
    releaseBefore(pageNo: number): void {
        while (this.firstNo < pageNo && this.pages.length > 1) {
            this.recycle(this.pages.shift()!)
            this.firstNo++
        }
    }

    /** No payload is kept any more: the last page is written from its start again. */
    clear(): void {
        this.releaseBefore(this.firstNo + this.pages.length - 1)
        const last = this.pages[0]
        if (last !== undefined && last.length !== PAGE_BYTES) {
            // One payload larger than a page had a page of its own: not worth keeping.
            this.pages.length = 0
            this.firstNo++
        }
        this.used = 0
    }

    /** Gives back the spare pages not needed since the last trim. */
    trim(): void {
        this.spares.length = Math.min(this.spares.length, Math.max(1, this.pagesNeeded - this.pages.length))
        this.pagesNeeded = this.pages.length
    }

    /** Bytes held in pages, spares included. */
    get capacity(): number {
        return [...this.pages, ...this.spares].reduce((sum, p) => sum + p.length, 0)
    }

    private startPage(length: number): Buffer {
        const page =
            (length <= PAGE_BYTES ? this.spares.pop() : undefined) ??
            Buffer.allocUnsafe(Math.max(PAGE_BYTES, length))
        this.pages.push(page)
        this.pagesNeeded = Math.max(this.pagesNeeded, this.pages.length)
        this.used = 0
        return page
    }

    private recycle(page: Buffer): void {
        if (page.length === PAGE_BYTES) this.spares.push(page)
    }
}
